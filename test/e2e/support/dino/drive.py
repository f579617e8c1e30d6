#!/usr/bin/python3
# Drives Dino (GTK 4) through AT-SPI, by what a user sees: labels, buttons and widget actions.
# Needs the DBUS_SESSION_BUS_ADDRESS Dino runs on. Every command waits up to TIMEOUT seconds.
#   wait-label TEXT TIMEOUT     a label containing TEXT is in a Dino window
#   click-button TEXT TIMEOUT   a push button named TEXT, or with a label TEXT inside, is clicked
#   action NAME TIMEOUT         the first widget offering the action NAME (e.g. call.audio) does it
#   hang-up - TIMEOUT           the hang-up button of the call window is clicked
#   has-frame TEXT TIMEOUT      a top-level window whose name contains TEXT is showing
#   no-frame TEXT TIMEOUT       no such window is showing (any more)
#   frames                      the names of Dino's top-level windows
#   dump                        the accessibility tree
# GTK 4.8 marks only top-level windows SHOWING; for widgets inside, SENSITIVE is checked.
import sys, time, pyatspi

def apps():
    return [a for a in pyatspi.Registry.getDesktop(0) if a is not None and 'dino' in (a.name or '').lower()]

def walk(node, depth=0, limit=60):
    yield node, depth
    if depth >= limit:
        return
    try:
        kids = list(node)
    except Exception:
        return
    for k in kids:
        if k is not None:
            yield from walk(k, depth + 1, limit)

def actions(node):
    try:
        a = node.queryAction()
        return [a.getName(i) for i in range(a.nActions)]
    except Exception:
        return []

def usable(node):
    try:
        st = node.getState()
        return st.contains(pyatspi.STATE_SHOWING) if node.getRoleName() == 'frame' else st.contains(pyatspi.STATE_SENSITIVE)
    except Exception:
        return False

def labels_in(node):
    out = []
    for n, _ in walk(node, 0, 6):
        try:
            if n.getRoleName() == 'label' and n.name:
                out.append(n.name)
        except Exception:
            pass
    return out

def find(pred):
    for app in apps():
        for n, _ in walk(app):
            try:
                if pred(n):
                    return n
            except Exception:
                pass
    return None

def frames():
    out = []
    for app in apps():
        for f in app:
            try:
                if f is not None and f.getRoleName() == 'frame' and usable(f):
                    out.append(f.name or '')
            except Exception:
                pass
    return out

def wait(check, timeout):
    end = time.time() + timeout
    while True:
        r = check()
        if r or time.time() > end:
            return r
        time.sleep(0.25)

def main():
    cmd, arg = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else '')
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    if cmd == 'wait-label':
        ok = wait(lambda: find(lambda n: n.getRoleName() == 'label' and arg in (n.name or '') and usable(n)), timeout)
    elif cmd == 'click-button':
        n = wait(lambda: find(lambda n: n.getRoleName() in ('push button', 'toggle button') and usable(n) and 'click' in actions(n)
                              and (n.name == arg or arg in labels_in(n))), timeout)
        if n:
            n.queryAction().doAction(actions(n).index('click'))
        ok = n
    elif cmd == 'action':
        n = wait(lambda: find(lambda n: arg in actions(n) and usable(n)), timeout)
        if n:
            n.queryAction().doAction(actions(n).index(arg))
        ok = n
    elif cmd == 'hang-up':
        # the call window's controls have no names: the hang-up button is the last plain button
        # of the controls page (after the microphone's and the camera's)
        def hang_up():
            for app in apps():
                for f in app:
                    if f is None or f.getRoleName() != 'frame' or 'CallWindow' not in (f.name or '') or not usable(f):
                        continue
                    for n, _ in walk(f):
                        if n.getRoleName() == 'panel' and n.name == 'GtkStackPage':
                            buttons = [b for b, _ in walk(n) if b.getRoleName() == 'push button' and b.name == 'GtkButton' and 'click' in actions(b)]
                            if len(buttons) >= 3:
                                return buttons[-1]
            return None
        n = wait(hang_up, timeout)
        if n:
            n.queryAction().doAction(actions(n).index('click'))
        ok = n
    elif cmd == 'has-frame':
        ok = wait(lambda: any(arg in f for f in frames()), timeout)
    elif cmd == 'no-frame':
        ok = wait(lambda: not any(arg in f for f in frames()), timeout)
    elif cmd == 'frames':
        print('\n'.join(frames()))
        ok = True
    elif cmd == 'dump':
        for app in apps():
            for n, d in walk(app, 0, int(arg or 40)):
                try:
                    print('  ' * d + f'[{n.getRoleName()}] {n.name!r} {actions(n) or ""}')
                except Exception as e:
                    print('  ' * d + f'? {e}')
        ok = True
    else:
        print('unknown command', cmd)
        sys.exit(2)
    print('ok' if ok else f'NOT FOUND: {cmd} {arg!r}')
    sys.exit(0 if ok else 1)

main()

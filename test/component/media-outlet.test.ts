// The data plane's forwarding path (component/media/werift/outlet.ts) as a real receiver sees it:
// libwebrtc (@roamhq/wrtc) and werift peers against the werift router, no XMPP in between. What the outlet
// takes over from werift's RTCRtpSender must still reach the receiver: sender reports it parses,
// and one continuous stream when another source is forwarded to the same m-line.
import assert from 'node:assert/strict';
import wrtc from '@roamhq/wrtc';
import { RTCPeerConnection, RtcpSourceDescriptionPacket, RtcpSrPacket } from 'werift';
import type { MediaEvent } from '../../component/media/router.js';
import { WeriftRouter } from '../../component/media/werift/router.js';
import { ntpTime } from '../../component/media/werift/outlet.js';
import { WrtcPeer } from './helpers/call-participant.js';
import { freePortRange } from '../support/ports.js';
import { until } from '../support/until.js';

type Stat = { type: string; kind?: string; ssrc?: number; packetsReceived?: number; packetsLost?: number; packetsSent?: number; reportsSent?: number };

/** The receiver's stats of one type and kind; only streams that carried packets (its own m-lines, which the room never sends on, have none). */
async function statsOf(pc: InstanceType<typeof wrtc.RTCPeerConnection>, type: string, kind: string): Promise<Stat[]> {
  const out: Stat[] = [];
  (await pc.getStats()).forEach((s: Stat) => { if (s.type === type && s.kind === kind && ((s.packetsReceived ?? 0) > 0 || (s.packetsSent ?? 0) > 0)) out.push(s); });
  return out;
}

describe('media outlet: forwarded RTP as receivers (libwebrtc, werift) see it', function () {
  this.timeout(60000);
  let router: WeriftRouter;
  const peers: WrtcPeer[] = [];
  const sources = new Map<string, string>(); // peer id -> its video mid

  before(async () => {
    const ports = await freePortRange(40);
    router = new WeriftRouter({ bindAddress: '127.0.0.1', ...ports });
    router.on((e: MediaEvent) => { if (e.type === 'source' && e.kind === 'video') sources.set(e.peerId, e.mid); });
    for (const id of ['a', 'b', 'r']) {
      const p = new WrtcPeer(peers.length + 1);
      peers.push(p);
      await router.createPeer('room', id);
      await p.setAnswer(await router.answer(id, await p.offer()));
    }
    await until(() => sources.has('a') && sources.has('b'), () => `video sources seen: ${[...sources.keys()].join(',')}`);
  });
  after(async () => {
    for (const p of peers) p.close();
    await router?.close();
  });

  it('writes NTP time as RFC 3550 §4 does: seconds since 1900 above, the fraction below', () => {
    // 1970-01-01T00:00:00.5Z: 2,208,988,800 s after 1900, and half a second
    assert.equal(ntpTime(500), (2_208_988_800n << 32n) | 0x80000000n);
    assert.equal(ntpTime(0) >> 32n, 2_208_988_800n);
  });

  it('a second source forwarded to the same m-line continues the stream: one SSRC, no jump in its sequence', async () => {
    const receiver = peers[2];
    const { sdp, mids } = await router.offerSenders('r', [{ kind: 'video', streamId: 'fwd' }]);
    await router.applyAnswer('r', await receiver.answerOffer(sdp));
    const sink = { peerId: 'r', mid: mids[0] };
    await router.forward({ peerId: 'a', mid: sources.get('a')! }, sink);
    let inbound: Stat[] = [];
    await until(async () => {
      inbound = await statsOf(receiver.pc, 'inbound-rtp', 'video');
      return (inbound[0]?.packetsReceived ?? 0) >= 30;
    }, () => `receiver's video: ${JSON.stringify(inbound)}`);

    // Another source on the same m-line: each has its own random sequence numbers, and unless
    // they are renumbered the receiver counts the jump as thousands of packets lost (or negative).
    const before = inbound[0].packetsReceived!;
    await router.forward({ peerId: 'b', mid: sources.get('b')! }, sink);
    await until(async () => {
      inbound = await statsOf(receiver.pc, 'inbound-rtp', 'video');
      return (inbound[0]?.packetsReceived ?? 0) >= before + 30;
    }, () => `receiver's video after the switch: ${JSON.stringify(inbound)}`);
    assert.equal(inbound.length, 1, 'one stream, one SSRC');
    const lost = inbound[0].packetsLost ?? 0;
    assert.ok(lost >= 0 && lost < 20, `packets lost after the switch: ${lost}`);
  });

  it('sends RTCP sender reports with SDES CNAME for a forwarded stream (RFC 3550 §6.4.1, §6.1)', async () => {
    // werift as the receiver here: it hands RTCP to the application as parsed packets.
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceInterfaceAddresses: { udp4: '127.0.0.1' }, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false });
    try {
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      await router.createPeer('room', 'w');
      await pc.setRemoteDescription({ type: 'answer', sdp: await router.answer('w', pc.localDescription!.sdp) });
      const reports: RtcpSrPacket[] = [];
      const cnames: string[] = [];
      let received = 0;
      // Every RTCP packet as the transport decrypted it (werift's own routing drops SDES).
      const watch = (): void => {
        const dtls = pc.dtlsTransports[0];
        dtls.onRtcp.subscribe((rtcp) => {
          if (rtcp instanceof RtcpSrPacket) reports.push(rtcp);
          if (rtcp instanceof RtcpSourceDescriptionPacket) for (const c of rtcp.chunks) for (const item of c.items) if (item.type === 1) cnames.push(item.text);
        });
        dtls.onRtp.subscribe(() => { received++; });
      };
      const { sdp, mids } = await router.offerSenders('w', [{ kind: 'video', streamId: 'fwd' }]);
      await pc.setRemoteDescription({ type: 'offer', sdp });
      watch();
      await pc.setLocalDescription(await pc.createAnswer());
      await router.applyAnswer('w', pc.localDescription!.sdp);
      await router.forward({ peerId: 'a', mid: sources.get('a')! }, { peerId: 'w', mid: mids[0] });
      await until(() => reports.length >= 2 && received > 0, () => `${reports.length} sender reports, ${received} packets`);
      const sr = reports[reports.length - 1];
      const section = sdp.split(/\r?\nm=/).find((m) => m.includes(`a=mid:${mids[0]}`))!;
      const ssrc = Number(/a=ssrc:(\d+) /.exec(section)![1]);
      const cname = /a=ssrc:\d+ cname:(\S+)/.exec(section)![1];
      assert.equal(sr.ssrc, ssrc, 'the forwarded stream\'s SSRC');
      assert.ok(sr.senderInfo.packetCount > 0 && sr.senderInfo.packetCount <= received + 200, `packet count ${sr.senderInfo.packetCount}, ${received} received`);
      const ntpMs = Number(sr.senderInfo.ntpTimestamp >> 32n) * 1000 - 2_208_988_800_000;
      assert.ok(Math.abs(ntpMs - Date.now()) < 60_000, `NTP time ${new Date(ntpMs).toISOString()}`);
      assert.ok(cnames.includes(cname), `CNAMEs ${cnames.join(',')}, announced ${cname}`);
    } finally {
      await pc.close();
      await router.closePeer('w');
    }
  });
});

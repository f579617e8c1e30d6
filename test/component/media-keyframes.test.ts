// Keyframe requests through the SFU (component/media/werift/keyframes.ts): a receiver's PLI
// (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1) for a forwarded stream reaches the stream's source,
// as libwebrtc sends it — with the SSRC of the receiver's own camera as sender SSRC — and one loss
// seen by many receivers asks the source once, not once per receiver.
import assert from 'node:assert/strict';
import { PictureLossIndication, ReceiverEstimatedMaxBitrate, RtcpPacketConverter, RtcpPayloadSpecificFeedback } from 'werift';
import { KeyframeRequester, keyframeRequests } from '../../component/media/werift/keyframes.js';
import type { MediaEvent } from '../../component/media/router.js';
import { WeriftRouter } from '../../component/media/werift/router.js';
import { SyntheticPeer, QUIET } from './helpers/synthetic-peer.js';
import { freePortRange } from '../support/ports.js';
import { until } from '../support/until.js';

/** Serialised and parsed again, as the SFU gets it off the wire. */
const wire = (feedback: PictureLossIndication | ReceiverEstimatedMaxBitrate) =>
  RtcpPacketConverter.deSerialize(new RtcpPayloadSpecificFeedback({ feedback }).serialize())[0];

/**
 * A FIR as RFC 5104 §4.3.1.1 lays it out (werift parses it but does not export a writer): the
 * common header with FMT 4 and PT 206, sender SSRC, media source SSRC 0, then one FCI entry per
 * stream — its SSRC, a command sequence number and three reserved octets.
 */
function fir(senderSsrc: number, entries: Array<{ ssrc: number; seq: number }>): Buffer {
  const b = Buffer.alloc(12 + 8 * entries.length);
  b[0] = 0x80 | 4;
  b[1] = 206;
  b.writeUInt16BE(b.length / 4 - 1, 2);
  b.writeUInt32BE(senderSsrc, 4);
  b.writeUInt32BE(0, 8);
  entries.forEach((e, i) => { b.writeUInt32BE(e.ssrc, 12 + 8 * i); b[16 + 8 * i] = e.seq & 0xff; });
  return b;
}

describe('keyframe requests: what asks for one', () => {
  it('PLI names its media SSRC; FIR names the streams in its FCI entries; REMB asks for none', () => {
    assert.deepEqual(keyframeRequests(wire(new PictureLossIndication({ senderSsrc: 0x1111, mediaSsrc: 0xdeadbeef }))), [0xdeadbeef]);
    // RFC 5104 §4.3.1.2: the media source SSRC of a FIR is 0; each FCI entry names a stream
    assert.deepEqual(keyframeRequests(RtcpPacketConverter.deSerialize(fir(0x1111, [{ ssrc: 42, seq: 1 }, { ssrc: 43, seq: 7 }]))[0]), [42, 43]);
    // REMB (draft-alvestrand-rmcat-remb) is payload-specific feedback too (FMT 15): a bitrate, not a picture
    assert.deepEqual(keyframeRequests(wire(new ReceiverEstimatedMaxBitrate({ senderSsrc: 0x1111, mediaSsrc: 0, brExp: 2, brMantissa: 125000, ssrcFeedbacks: [42], bitrate: 500000n }))), []);
    assert.deepEqual(keyframeRequests({ type: 205, feedback: { count: 1, mediaSsrc: 42 } }), [], 'generic NACK (RTPFB, 205) is not a keyframe request');
  });

  it('asks the source at once, then folds what comes within the interval into one sent when it is over', async () => {
    let sent = 0;
    const r = new KeyframeRequester(() => { sent++; }, 40);
    r.request();
    assert.equal(sent, 1, 'the first at once');
    for (let i = 0; i < 5; i++) r.request();
    assert.equal(sent, 1, 'the next five wait');
    await until(() => sent === 2, () => `${sent} sent`);
    assert.deepEqual({ asked: r.asked, sent: r.sent }, { asked: 6, sent: 2 });
    r.close();
  });
});

describe('keyframe requests through the SFU (werift peers)', function () {
  this.timeout(60000);
  let router: WeriftRouter;
  let source: SyntheticPeer;
  let receiver: SyntheticPeer;
  const videoMid = new Map<string, string>(); // peer id -> its video source's mid
  const connected = new Set<string>();
  let forwardedSsrc = 0;
  let camera = 0; // the receiver's own video SSRC

  before(async () => {
    const ports = await freePortRange(40);
    const peerPorts = await freePortRange(20);
    router = new WeriftRouter({ bindAddress: '127.0.0.1', ...ports });
    router.on((e: MediaEvent) => {
      if (e.type === 'source' && e.kind === 'video') videoMid.set(e.peerId, e.mid);
      if (e.type === 'state' && e.connection === 'connected') connected.add(e.peerId);
    });
    source = new SyntheticPeer([peerPorts.portMin, peerPorts.portMin + 9], QUIET);
    receiver = new SyntheticPeer([peerPorts.portMin + 10, peerPorts.portMax], QUIET);
    for (const [id, p] of [['s', source], ['r', receiver]] as const) {
      await router.createPeer('room', id);
      await p.setAnswer(await router.answer(id, await p.offer()));
    }
    await until(() => videoMid.has('s') && videoMid.has('r'), () => `video sources seen: ${[...videoMid.keys()].join(',')}`);
    // connected (DTLS-SRTP up) first: a request to a source whose SRTP is not up yet goes nowhere
    await until(() => connected.size === 2, () => `connected: ${[...connected].join(',')}`);
    const { sdp, mids } = await router.offerSenders('r', [{ kind: 'video', streamId: 'fwd' }]);
    await router.applyAnswer('r', await receiver.answerOffer(sdp));
    const section = sdp.split(/\r?\nm=/).find((m) => m.includes(`a=mid:${mids[0]}`))!;
    forwardedSsrc = Number(/a=ssrc:(\d+) /.exec(section)![1]);
    camera = receiver.pc.getTransceivers().find((t) => t.kind === 'video' && t.sender.ssrc)!.sender.ssrc;
    await router.forward({ peerId: 's', mid: videoMid.get('s')! }, { peerId: 'r', mid: mids[0] });
    // the three requests a new forward makes by itself (router.ts: 200, 800 and 2000 ms after it starts)
    await until(() => source.plis >= 3, () => `${source.plis} keyframe requests at the source`);
  });
  after(async () => {
    source?.close();
    receiver?.close();
    await router?.close();
  });

  /** Sends a packet from the receiver every 400 ms until the source has had one more keyframe request. */
  async function reaches(packet: () => Buffer, what: string): Promise<void> {
    const before = source.plis;
    const dtls = receiver.pc.dtlsTransports[0]!;
    const send = () => void dtls.sendRtcp([{ serialize: packet } as never]).catch(() => undefined);
    send();
    const timer = setInterval(send, 400);
    try {
      await until(() => source.plis > before, () => `${what}: the source had ${source.plis} requests, as before`, 10_000);
    } finally {
      clearInterval(timer);
    }
  }

  it('a PLI with the receiver\'s own camera as sender SSRC (as libwebrtc sends it) reaches the source', async () => {
    assert.ok(camera !== 0 && camera !== forwardedSsrc);
    await reaches(() => new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: camera, mediaSsrc: forwardedSsrc }) }).serialize(), 'PLI');
  });

  it('a FIR naming the forwarded stream reaches the source', async () => {
    let seq = 0;
    await reaches(() => fir(camera, [{ ssrc: forwardedSsrc, seq: ++seq }]), 'FIR');
  });
});

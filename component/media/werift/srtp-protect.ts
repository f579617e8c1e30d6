// SRTP protect for the forwarding hot path, for both profiles werift negotiates: AEAD_AES_128_GCM
// (RFC 7714, werift's preference) and AES_CM_128_HMAC_SHA1_80 (RFC 3711 §4.1.1, §4.2.1). werift's
// own path, per packet and receiver, serializes the header, builds the IV/counter in a fresh
// buffer (for CM through a BigInt), creates the cipher and the HMAC from raw key bytes and joins
// the parts with Buffer.concat. Here the keys are KeyObjects made once, the IV buffer is reused
// (createCipheriv copies it) and the packet is written once into one buffer. The session keys and
// the rollover counter stay werift's (its SrtpSession's local context), so resends and RTCP that
// go through werift stay in step with what goes out here.
import { createCipheriv, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { SrtpSession } from 'werift';

const HEADER = 12;
/** werift's profile numbers, as RFC 5764 §4.1.2 and RFC 7714 §14.2 assign them. */
const CM_HMAC_SHA1_80 = 0x0001;
const AEAD_AES_128_GCM = 0x0007;

export interface RtpFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** A 12-byte RTP header (RFC 3550 §5.1; no CSRC, no extension: the outlet forwards none). */
function writeHeader(out: Buffer, h: RtpFields): void {
  out[0] = 0x80;
  out[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out.writeUInt16BE(h.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(h.timestamp >>> 0, 4);
  out.writeUInt32BE(h.ssrc >>> 0, 8);
}

export class SrtpProtector {
  private readonly key: KeyObject;
  private readonly authKey?: KeyObject;
  private readonly iv: Buffer;
  private readonly roc = Buffer.alloc(4);

  constructor(private readonly session: SrtpSession, private readonly gcm: boolean, key: Buffer, private readonly salt: Buffer, authKey?: Buffer) {
    this.key = createSecretKey(key);
    if (authKey) this.authKey = createSecretKey(authKey);
    this.iv = Buffer.alloc(gcm ? 12 : 16);
  }

  /** header ‖ E(payload) ‖ tag, as the receiver's SRTP expects it. */
  protect(h: RtpFields, payload: Buffer): Buffer {
    const ctx = this.session.localContext;
    const state = ctx.getSrtpSsrcState(h.ssrc);
    ctx.updateRolloverCount(h.sequenceNumber, state);
    const roc = state.rolloverCounter >>> 0;
    const end = HEADER + payload.length;
    const iv = this.iv;
    const s = this.salt;
    if (this.gcm) {
      // RFC 7714 §8.1: IV = (0x0000 ‖ SSRC ‖ ROC ‖ SEQ) XOR the 12-byte salt; AAD is the header (§8.2).
      iv.writeUInt16BE(s.readUInt16BE(0), 0);
      iv.writeUInt32BE((s.readUInt32BE(2) ^ h.ssrc) >>> 0, 2);
      iv.writeUInt32BE((s.readUInt32BE(6) ^ roc) >>> 0, 6);
      iv.writeUInt16BE((s.readUInt16BE(10) ^ h.sequenceNumber) & 0xffff, 10);
      const out = Buffer.allocUnsafe(end + 16);
      writeHeader(out, h);
      const c = createCipheriv('aes-128-gcm', this.key, iv);
      c.setAAD(out.subarray(0, HEADER));
      c.update(payload).copy(out, HEADER);
      c.final();
      c.getAuthTag().copy(out, end);
      return out;
    }
    // RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = 2^16 * ROC + SEQ.
    iv.writeUInt32BE(s.readUInt32BE(0), 0);
    iv.writeUInt32BE((s.readUInt32BE(4) ^ h.ssrc) >>> 0, 4);
    iv.writeUInt32BE((s.readUInt32BE(8) ^ roc) >>> 0, 8);
    iv.writeUInt16BE((s.readUInt16BE(12) ^ h.sequenceNumber) & 0xffff, 12);
    iv.writeUInt16BE(0, 14);
    const out = Buffer.allocUnsafe(end + 10);
    writeHeader(out, h);
    createCipheriv('aes-128-ctr', this.key, iv).update(payload).copy(out, HEADER);
    // RFC 3711 §4.2: HMAC-SHA1 over header, encrypted payload and ROC, truncated to 80 bits (§5.2).
    this.roc.writeUInt32BE(roc, 0);
    const mac = createHmac('sha1', this.authKey as KeyObject);
    mac.update(out.subarray(0, end));
    mac.update(this.roc);
    mac.digest().copy(out, end, 0, 10);
    return out;
  }
}

interface CipherKeys {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag?: Buffer;
}

/** Our protector for a werift SRTP session of either profile; undefined when there is none yet. */
export function srtpProtector(session: SrtpSession | undefined): SrtpProtector | undefined {
  const ctx = session?.localContext;
  if (!session || !ctx) return undefined;
  const c = ctx.cipher as unknown as CipherKeys;
  if (c.srtpSessionKey.length !== 16) return undefined;
  if (ctx.profile === AEAD_AES_128_GCM && c.srtpSessionSalt.length >= 12) return new SrtpProtector(session, true, c.srtpSessionKey, c.srtpSessionSalt);
  if (ctx.profile === CM_HMAC_SHA1_80 && c.srtpSessionSalt.length >= 14 && c.srtpSessionAuthTag) {
    return new SrtpProtector(session, false, c.srtpSessionKey, c.srtpSessionSalt, c.srtpSessionAuthTag);
  }
  return undefined;
}

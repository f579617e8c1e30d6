// The forwarding path's own SRTP protect (component/media/werift/srtp-protect.ts) against werift's
// SRTP for the same keys, both profiles (AES-GCM, RFC 7714; AES-CM-HMAC-SHA1-80, RFC 3711): the
// same bytes, across a sequence-number rollover, for payloads that end inside, on and past a 16-byte
// AES block; and the keystream of RFC 3711 Appendix B.2.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, ProtectionProfileAeadAes128Gcm, RtpHeader, SrtpSession } from 'werift';
import { SrtpProtector, srtpProtector } from '../../component/media/werift/srtp-protect.js';

function session(localKey: Buffer, localSalt: Buffer, remoteKey: Buffer, remoteSalt: Buffer, profile: number = ProtectionProfileAes128CmHmacSha1_80): SrtpSession {
  return new SrtpSession({ profile: profile as typeof ProtectionProfileAes128CmHmacSha1_80, keys: { localMasterKey: localKey, localMasterSalt: localSalt, remoteMasterKey: remoteKey, remoteMasterSalt: remoteSalt } });
}

describe('SRTP protect for forwarded RTP', () => {
  const key = randomBytes(16), salt = randomBytes(14), peerKey = randomBytes(16), peerSalt = randomBytes(14);

  for (const [name, profile, saltLen] of [['AEAD_AES_128_GCM (RFC 7714)', ProtectionProfileAeadAes128Gcm, 12], ['AES_CM_128_HMAC_SHA1_80 (RFC 3711)', ProtectionProfileAes128CmHmacSha1_80, 14]] as const)
  it(`${name}: the same packets as werift for the same keys, through a rollover`, () => {
    const ks = salt.subarray(0, saltLen), ps = peerSalt.subarray(0, saltLen);
    const theirs = session(key, ks, peerKey, ps, profile);
    const ours = srtpProtector(session(key, ks, peerKey, ps, profile));
    assert.ok(ours, 'the profile gets our path');
    const receiver = session(peerKey, ps, key, ks, profile);
    const ssrc = 0xdeadbeef;
    let seq = 65530;
    let ts = 4_294_967_000;
    let compared = 0;
    for (const len of [0, 1, 15, 16, 17, 31, 160, 1100, 1200, 3, 48, 1199]) {
      const payload = randomBytes(len);
      const fields = { marker: len % 2 === 1, payloadType: 96 + (len % 32), sequenceNumber: seq, timestamp: ts, ssrc };
      const expected = theirs.encrypt(payload, new RtpHeader(fields));
      const got = ours.protect(fields, payload);
      assert.deepEqual(got, expected, `payload of ${len} bytes at seq ${seq}`);
      // …and a receiver with the peer's keys authenticates and decrypts it to the payload.
      assert.deepEqual(receiver.decrypt(got).subarray(12), payload);
      compared++;
      seq = (seq + 1) & 0xffff;
      ts = (ts + 3000) >>> 0;
    }
    assert.equal(compared, 12);
    assert.equal(seq, 6, 'the sequence wrapped, so the rollover counter moved on');
  });

  it('RFC 3711 Appendix B.2: the AES-CM keystream for its session key and salt', () => {
    const k = Buffer.from('2B7E151628AED2A6ABF7158809CF4F3C', 'hex');
    const s = Buffer.from('F0F1F2F3F4F5F6F7F8F9FAFBFCFD', 'hex');
    // SSRC 0, ROC 0, SEQ 0: the IV is the salt shifted by 16 bits; a zero payload encrypts to the keystream.
    const p = new SrtpProtector(session(k, s, peerKey, peerSalt), false, k, s, randomBytes(20));
    const out = p.protect({ marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 }, Buffer.alloc(48));
    assert.equal(out.subarray(12, 60).toString('hex').toUpperCase(),
      'E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0');
  });

  it('no SRTP session yet: no protector (werift\'s path then)', () => {
    assert.equal(srtpProtector(undefined), undefined);
  });
});

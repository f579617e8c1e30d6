// TLS material: the configured certificate, or a self-signed one created in the data dir on first start.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import selfsigned from 'selfsigned';
import type { CarillonConfig } from './config.js';
import type { Logger } from './log.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  context: tls.SecureContext;
  selfSigned: boolean;
}

/** The files of the certificate the operator gave (`tls.cert` and `tls.key`); without one loadTls makes a self-signed one. */
export function configuredCertificate(config: CarillonConfig): { cert: string; key: string } | undefined {
  const { cert, key } = config.tls;
  return cert && key ? { cert, key } : undefined;
}

export function loadTls(config: CarillonConfig, log: Logger, extraNames: string[] = []): TlsMaterial {
  const files = configuredCertificate(config);
  if (files) {
    const cert = readFileSync(files.cert, 'utf8');
    const key = readFileSync(files.key, 'utf8');
    return { cert, key, context: tls.createSecureContext({ cert, key }), selfSigned: false };
  }
  const dir = join(config.dataDir, 'tls');
  const certFile = join(dir, `${config.domain}.crt`);
  const keyFile = join(dir, `${config.domain}.key`);
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true });
    // Node generates the key natively (fast); selfsigned only builds and signs the certificate.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const names = [config.domain, `*.${config.domain}`, ...extraNames];
    const pems = selfsigned.generate([{ name: 'commonName', value: config.domain }], {
      days: 3650,
      algorithm: 'sha256',
      keyPair: { publicKey, privateKey },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2, value })) },
      ],
    } as selfsigned.SelfsignedOptions);
    writeFileSync(certFile, pems.cert);
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    log.info({ cert: certFile }, 'created a self-signed certificate');
  }
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  void new X509Certificate(cert); // fails loudly on a corrupt file
  return { cert, key, context: tls.createSecureContext({ cert, key }), selfSigned: true };
}

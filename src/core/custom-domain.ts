// Custom domains and their certificates, as pure checks: which host names an app may claim, and
// what a PEM certificate says (names, dates, issuer) and whether a key belongs to it.
import { X509Certificate, createPrivateKey } from 'node:crypto';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A custom domain's host name, lower-cased; the message says what is wrong. */
export function checkHostname(raw: string, routerDomain: string): { ok: true; hostname: string } | { ok: false; message: string } {
  const h = raw.trim().toLowerCase().replace(/\.$/, '');
  const labels = h.split('.');
  if (h.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return { ok: false, message: `"${raw.slice(0, 100)}" is not a host name: give one like www.example.com (letters, digits and -, at least two labels; wildcards are not supported)` };
  }
  // The router's own names (<app>.<domain>) belong to the apps named so: never claimable.
  if (h === routerDomain || h.endsWith(`.${routerDomain}`)) return { ok: false, message: `${h} is under ${routerDomain}, where the router names apps itself (<app>.${routerDomain}); add a domain of your own` };
  return { ok: true, hostname: h };
}

/** The smallest RSA key a certificate may have (OpenSSL's security level 2, Debian's default: nginx refuses smaller ones). */
const MIN_RSA_BITS = 2048;

export interface CertDetails { cert_domains: string[]; subject: string; issuer: string; starts_at: string; expires_at: string; self_signed: boolean }

/** Read a PEM certificate chain and check the key is the first certificate's; throws a message a user can act on. */
export function readCertificate(chain: string, key: string): CertDetails {
  let cert: X509Certificate;
  try { cert = new X509Certificate(chain); } catch (e) { throw new Error(`the certificate is not a PEM certificate (${(e as Error).message}): pass the .crt/.pem file, leaf first`, { cause: e }); }
  let pk;
  try { pk = createPrivateKey(key); } catch (e) { throw new Error(`the private key is not a PEM private key (${(e as Error).message}), or it is encrypted: pass the unencrypted .key file`, { cause: e }); }
  if (!cert.checkPrivateKey(pk)) throw new Error('the private key does not belong to the certificate: pass the key the certificate was issued for');
  const bits = pk.asymmetricKeyType === 'rsa' ? pk.asymmetricKeyDetails?.modulusLength ?? 0 : Infinity;
  if (bits < MIN_RSA_BITS) throw new Error(`the key is RSA of ${bits} bits, which the router's TLS refuses: issue the certificate for an RSA key of ${MIN_RSA_BITS} bits or more, or an EC key`);
  const sans = (cert.subjectAltName ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase());
  const cn = /CN=([^\n,]+)/.exec(cert.subject)?.[1]?.toLowerCase();
  return {
    cert_domains: [...new Set([...sans, ...(cn && !sans.length ? [cn] : [])])], subject: cert.subject.replace(/\n/g, ', '), issuer: cert.issuer.replace(/\n/g, ', '),
    starts_at: new Date(cert.validFrom).toISOString(), expires_at: new Date(cert.validTo).toISOString(), self_signed: cert.subject === cert.issuer,
  };
}

/** Whether a certificate's names cover `hostname` (exact, or a wildcard one label deep). */
export const certCovers = (certDomains: string[], hostname: string): boolean =>
  certDomains.some((d) => d === hostname || (d.startsWith('*.') && hostname.endsWith(d.slice(1)) && !hostname.slice(0, -d.length + 1).includes('.')));

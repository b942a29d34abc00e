import { z } from 'zod';
import { parseEnv, resolveSecretFiles, type Env } from '../config.ts';

/** How to reach the Kopia server (the `kopia/kopia` service of the compose stack). */
export interface KopiaConnection {
  url: string;
  username: string;
  /** Never log this object whole. */
  password: string;
  /** Lowercase hex SHA-256 of the server's leaf certificate (DER); when set, nothing else is trusted. */
  fingerprint: string | undefined;
}

export const kopiaSecretNames = ['KOPIA_SERVER_PASSWORD'] as const;

export const kopiaEnvShape = {
  KOPIA_SERVER_URL: z
    .string()
    .regex(/^https?:\/\/[^/]+/, 'must be an http:// or https:// URL')
    .default('http://kopia:51515'),
  KOPIA_SERVER_USERNAME: z.string().default('kopia'),
  KOPIA_SERVER_PASSWORD: z.string({ error: 'is required (or KOPIA_SERVER_PASSWORD_FILE)' }).min(1),
  KOPIA_SERVER_CERT_FINGERPRINT: z
    .string()
    .transform((value) => value.replaceAll(':', '').toLowerCase())
    .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the certificate, 64 hex digits'))
    .optional(),
};

export const kopiaEnvSchema = z.object(kopiaEnvShape);

export function kopiaConnectionFromParsed(parsed: z.output<typeof kopiaEnvSchema>): KopiaConnection {
  return {
    url: parsed.KOPIA_SERVER_URL.replace(/\/+$/, ''),
    username: parsed.KOPIA_SERVER_USERNAME,
    password: parsed.KOPIA_SERVER_PASSWORD,
    fingerprint: parsed.KOPIA_SERVER_CERT_FINGERPRINT,
  };
}

/** The Kopia connection from KOPIA_SERVER_* variables (and KOPIA_SERVER_PASSWORD_FILE). */
export function loadKopiaConnection(env: Env): KopiaConnection {
  const secrets = resolveSecretFiles(env, kopiaSecretNames);
  return kopiaConnectionFromParsed(parseEnv(kopiaEnvSchema, secrets.env, secrets.problems));
}

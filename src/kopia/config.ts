import { z } from 'zod';
import { kopiaConnectionEnvShape, kopiaTransportProblems, parseEnv, resolveSecretFiles, type Env } from '../config.ts';

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

export const kopiaEnvSchema = z.object(kopiaConnectionEnvShape);

export function kopiaConnectionFromParsed(parsed: z.output<typeof kopiaEnvSchema>): KopiaConnection {
  return {
    url: parsed.KOPIA_SERVER_URL,
    username: parsed.KOPIA_SERVER_USERNAME,
    password: parsed.KOPIA_SERVER_PASSWORD,
    fingerprint: parsed.KOPIA_SERVER_CERT_FINGERPRINT,
  };
}

/** The Kopia connection from KOPIA_SERVER_* variables (and KOPIA_SERVER_PASSWORD_FILE). */
export function loadKopiaConnection(env: Env): KopiaConnection {
  const secrets = resolveSecretFiles(env, kopiaSecretNames);
  return kopiaConnectionFromParsed(parseEnv(kopiaEnvSchema, secrets.env, [...secrets.problems, ...kopiaTransportProblems(secrets.env)]));
}

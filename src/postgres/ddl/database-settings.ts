import { quoteLiteral } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';

// The database's own settings (ALTER DATABASE ... SET).

/**
 * `ALTER DATABASE ... SET` settings. Not pg_dump behaviour: pg_dump without --create loses them
 * (Immich's vchordrq.probes, the legacy search_path with `vectors`). The database is named by
 * current_database() so the dump restores into a database of any name; each stored `name=value`
 * string is applied with set_config + FROM CURRENT, which keeps the value exactly as stored, and the
 * session's own value is put back afterwards.
 */
export function databaseSettingsEntry(settings: string[]): Entry | null {
  if (settings.length === 0) return null;
  const statements = settings.map((setting) => {
    const at = setting.indexOf('=');
    const name = setting.slice(0, at);
    const value = setting.slice(at + 1);
    return `    previous := pg_catalog.current_setting(${quoteLiteral(name)}, true);\n` +
      `    PERFORM pg_catalog.set_config(${quoteLiteral(name)}, ${quoteLiteral(value)}, true);\n` +
      `    EXECUTE pg_catalog.format('ALTER DATABASE %I SET %s FROM CURRENT', pg_catalog.current_database(), ${quoteLiteral(name)});\n` +
      `    PERFORM pg_catalog.set_config(${quoteLiteral(name)}, COALESCE(previous, ''), true);`;
  });
  return {
    id: 'database-settings', section: 'final', priority: Priority.databaseSettings, type: 'DATABASE PROPERTIES', schema: null,
    name: 'database settings (ALTER DATABASE ... SET)', owner: null,
    sql: `DO $immich_backup$\nDECLARE\n    previous text;\nBEGIN\n${statements.join('\n')}\nEND\n$immich_backup$;\n`,
    drop: null, dependsOn: new Set(),
  };
}

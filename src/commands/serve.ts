import type { Command } from './command.ts';
import { loadSidecarConfig } from '../config.ts';
import { notifiersFromConfig, notifyAll } from '../notify/index.ts';

const command: Command = {
  name: 'serve',
  summary: "Service mode (the container's default): scheduled backups, /healthz, /status and /metrics.",
  help: [
    'Runs BACKUP_SCHEDULE (default "0 2 * * *", in TZ) one run at a time and serves HTTP on HTTP_PORT.',
    'SIGTERM stops it cleanly: a running dump is aborted and leaves nothing that looks like a backup.',
  ].join('\n'),
  options: {},
  async run(_args, context) {
    const config = loadSidecarConfig(context.env);
    const { createSteps } = await import('../backup/steps/index.ts');
    const { BackupService } = await import('../service/backup-service.ts');
    const notifiers = notifiersFromConfig(config.notify);
    context.log.info(
      {
        database: config.database.description,
        backupDir: config.backupDir,
        kopia: config.kopia.enabled ? config.kopia.connection.url : 'disabled',
        notifiers: notifiers.map((notifier) => notifier.name),
      },
      'immich-backup service starting',
    );
    const steps = createSteps(config, context.log, context.signal);
    const service = new BackupService({
      config,
      log: context.log,
      steps,
      notify: (event, run) => notifyAll(event, run, { ...config.notify, notifiers, log: context.log, stopping: context.signal }),
      verify: async (signal) => {
        const { verifyAndReport } = await import('../backup/verify.ts');
        return verifyAndReport(config, { log: context.log, signal, trigger: 'schedule' });
      },
    });
    await service.start();
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await service.stop();
    context.log.info('immich-backup service stopped');
    return 0;
  },
};

export default command;

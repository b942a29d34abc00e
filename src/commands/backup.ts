import type { Command } from './command.ts';
import { UserError } from '../errors.ts';

const command: Command = {
  name: 'backup',
  summary: 'Not built yet.',
  help: '',
  options: {},
  async run() {
    throw new UserError('backup is not implemented yet');
  },
};

export default command;

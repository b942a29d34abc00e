import type { Command } from './command.ts';
import { UserError } from '../errors.ts';

const command: Command = {
  name: 'restore-db',
  summary: 'Not built yet.',
  help: '',
  options: {},
  async run() {
    throw new UserError('restore-db is not implemented yet');
  },
};

export default command;

import type { Command } from './command.ts';
import { UserError } from '../errors.ts';

const command: Command = {
  name: 'verify',
  summary: 'Not built yet.',
  help: '',
  options: {},
  async run() {
    throw new UserError('verify is not implemented yet');
  },
};

export default command;

import type { Command } from './command.ts';
import { UserError } from '../errors.ts';

const command: Command = {
  name: 'serve',
  summary: 'Not built yet.',
  help: '',
  options: {},
  async run() {
    throw new UserError('serve is not implemented yet');
  },
};

export default command;

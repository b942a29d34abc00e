import type { Command } from './command.ts';
import { UserError } from '../errors.ts';

const command: Command = {
  name: 'list',
  summary: 'Not built yet.',
  help: '',
  options: {},
  async run() {
    throw new UserError('list is not implemented yet');
  },
};

export default command;

import type { Command } from './command.ts';
import { UserError } from '../errors.ts';

const command: Command = {
  name: 'restore-library',
  summary: 'Not built yet.',
  help: '',
  options: {},
  async run() {
    throw new UserError('restore-library is not implemented yet');
  },
};

export default command;

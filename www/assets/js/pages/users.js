// pages/users.js - the users page (not built yet).
import { soon } from './soon.js';

export const render = soon('nav.users');

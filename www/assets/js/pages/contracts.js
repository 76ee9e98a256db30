// pages/contracts.js - the contracts page (not built yet).
import { soon } from './soon.js';

export const render = soon('nav.contracts');

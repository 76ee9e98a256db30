// pages/batches.js - the batches page (not built yet).
import { soon } from './soon.js';

export const render = soon('nav.batches');

// The harness's signedIn(): any profile, whatever ran before, lands signed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { heading, signedIn } from '../harness.mjs';

test('signedIn() brings an action user to their landing page', async () => {
  const page = await signedIn('action');
  assert.ok((await heading(page)).length > 0);
  await page.context().close();
});

import { startTestApp } from './support/test-app';
it('boots', async () => {
  let t0 = Date.now();
  const a = await startTestApp();
  console.log('first', Date.now() - t0);
  t0 = Date.now();
  const b = await startTestApp();
  console.log('second', Date.now() - t0);
  t0 = Date.now();
  await a.close(); await b.close();
  console.log('close', Date.now() - t0);
}, 60000);

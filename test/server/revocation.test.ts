import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createUser, listen, type TestApp } from '../helpers/app.ts';
import { connectSocket } from '../helpers/sockets.ts';

describe('revocation over Socket.IO', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await buildTestApp();
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  it('tells the sockets of a disabled account why before it closes them (on either store)', async () => {
    const member = await createUser(t, 'member');
    const sockets = await Promise.all([1, 2].map(() => connectSocket(url, { cookie: member.cookie })));
    const heard = sockets.map((socket) => {
      const seen: string[] = [];
      socket.on('sessionEnded', (notice: { reason: string }) => seen.push(`sessionEnded:${notice.reason}`));
      const closed = new Promise<void>((resolve) => socket.on('disconnect', () => (seen.push('disconnect'), resolve())));
      return { seen, closed };
    });
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${member.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    expect(res.statusCode).toBe(200);
    await Promise.all(heard.map((h) => h.closed));
    for (const { seen } of heard) expect(seen).toEqual(['sessionEnded:disabled', 'disconnect']);
  });
});

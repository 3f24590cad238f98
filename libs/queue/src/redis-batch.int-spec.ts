import { Redis } from 'ioredis';
import { clearRedis, testRedisPrefix, TEST_REDIS_URL } from '@gw/testing';
import { RedisBatch } from './redis-batch';

interface Counting {
  gwTestIncr(key: string, by: number): Promise<number>;
}

describe('RedisBatch (one socket write per event-loop turn)', () => {
  let redis: Redis;
  let prefix: string;
  let writes: number;
  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    redis.defineCommand('gwTestIncr', { numberOfKeys: 1, lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])" });
    prefix = testRedisPrefix();
    await redis.ping();
    // Counts the socket's own writes (what reaches the kernel): corked writes leave as one.
    type Sink = (...args: unknown[]) => void;
    const socket = redis.stream as unknown as { _write: Sink; _writev: Sink };
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method].bind(socket);
      socket[method] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
  });
  afterAll(async () => {
    redis.disconnect();
    await clearRedis(prefix);
  });

  it('answers every call of a turn from one write, in order, scripts included', async () => {
    writes = 0;
    const sut = new RedisBatch(redis);
    const key = `${prefix}counter`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sut.call('gwTestIncr', [key, i + 1])));
    // Running totals 1, 1+2, 1+2+3, ...: the scripts ran in call order.
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => ((i + 1) * (i + 2)) / 2));
    expect(writes).toBe(1);
    expect(await (redis as unknown as Counting).gwTestIncr(key, 0)).toBe(210);
  });

  it('fails only the calls that failed, and refuses unknown commands', async () => {
    const sut = new RedisBatch(redis);
    await redis.set(`${prefix}text`, 'not a number');
    const outcomes = await Promise.allSettled([
      sut.call('incr', [`${prefix}n`]),
      sut.call('incr', [`${prefix}text`]),
      sut.call('noSuchCommand', ['x']),
      sut.call('get', [`${prefix}text`]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/not an integer/);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/unknown Redis command noSuchCommand/);
    expect(outcomes[3]).toEqual({ status: 'fulfilled', value: 'not a number' });
  });

  it('sends calls of later turns in later batches', async () => {
    const sut = new RedisBatch(redis);
    const first = await sut.call('incr', [`${prefix}turns`]);
    const second = await sut.call('incr', [`${prefix}turns`]);
    expect([first, second]).toEqual([1, 2]);
  });

  it('tells that a batch was handed to the kernel as it leaves, before the replies, once the command has succeeded on the connection', async () => {
    const sut = new RedisBatch(redis);
    // The first of a command on a connection waits for its reply: it might be a script Redis lacks.
    const first = sut.send('incr', [`${prefix}sent`]);
    expect(await first.handedOff).toBe(false);
    expect(await first.reply).toBe(1);
    const order: string[] = [];
    const sent = [sut.send('incr', [`${prefix}sent`]), sut.send('incr', [`${prefix}sent`])];
    const done = sent.flatMap((s, i) => [
      s.handedOff.then((handedOff) => order.push(`sent ${String(i)} ${String(handedOff)}`)),
      s.reply.then((reply) => order.push(`reply ${String(i)} ${String(reply)}`)),
    ]);
    await Promise.all(done);
    expect(order).toEqual(['sent 0 true', 'sent 1 true', 'reply 0 2', 'reply 1 3']);
  });

  it('does not count a script as handed off until it has run on this connection (NOSCRIPT, reconnection)', async () => {
    const own = new Redis(TEST_REDIS_URL);
    try {
      own.defineCommand('gwTestSent', { numberOfKeys: 1, lua: `-- ${prefix} sent\nreturn redis.call('INCR', KEYS[1])` });
      await new Promise<void>((resolve) => own.once('ready', () => resolve()));
      const sut = new RedisBatch(own);
      const fresh = sut.send('gwTestSent', [`${prefix}script`]);
      expect(await fresh.handedOff).toBe(false);
      expect(await fresh.reply).toBe(1);
      const known = sut.send('gwTestSent', [`${prefix}script`]);
      expect(await known.handedOff).toBe(true);
      expect(await known.reply).toBe(2);
      // A new connection may reach a restarted Redis whose script cache is empty.
      own.disconnect(true);
      await new Promise<void>((resolve) => own.once('ready', () => resolve()));
      const again = sut.send('gwTestSent', [`${prefix}script`]);
      expect(await again.handedOff).toBe(false);
      expect(await again.reply).toBe(3);
      expect(await sut.send('gwTestSent', [`${prefix}script`]).handedOff).toBe(true);
    } finally {
      own.disconnect();
    }
  });

  it('does not count an unknown command as handed off', async () => {
    const sut = new RedisBatch(redis);
    const sent = sut.send('noSuchCommand', []);
    expect(await sent.handedOff).toBe(false);
    await expect(sent.reply).rejects.toThrow('unknown Redis command noSuchCommand');
  });

  it('does not count a command as handed off while it waits for a connection', async () => {
    const lazy = new Redis(TEST_REDIS_URL, { lazyConnect: true });
    try {
      const sut = new RedisBatch(lazy);
      const sent = sut.send('incr', [`${prefix}lazy`]);
      expect(await sent.handedOff).toBe(false);
      expect(await sent.reply).toBe(1);
    } finally {
      lazy.disconnect();
    }
  });

  it('loads a script Redis has never seen (NOSCRIPT) inside a batch', async () => {
    // A comment unique to this run gives the script a SHA Redis cannot know.
    redis.defineCommand('gwTestFresh', { numberOfKeys: 1, lua: `-- ${prefix}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])` });
    const sut = new RedisBatch(redis);
    const key = `${prefix}fresh`;
    await expect(Promise.all([sut.call('gwTestFresh', [key, 2]), sut.call('gwTestFresh', [key, 3])])).resolves.toEqual([2, 5]);
  });
});

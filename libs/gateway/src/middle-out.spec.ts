import type { ChatMessage } from '@gw/contracts';
import { estimateTokens, middleOut } from './middle-out';

const msg = (role: 'system' | 'user' | 'assistant', text: string): ChatMessage => ({ role, content: text });

describe('middle-out', () => {
  const long = 'x'.repeat(400); // about 100 tokens
  const conversation = [
    msg('system', 'be brief'),
    msg('user', `first ${long}`),
    ...Array.from({ length: 20 }, (_, i) => msg(i % 2 ? 'user' : 'assistant', `turn ${String(i)} ${long}`)),
  ];

  it('leaves a prompt that fits untouched', () => {
    expect(middleOut(conversation, 1_000_000, 100)).toEqual(conversation);
  });

  it('keeps system, the first user message and the latest messages, dropping the middle', () => {
    const sut = middleOut(conversation, 700, 100);
    expect(estimateTokens(sut)).toBeLessThanOrEqual(600);
    expect(sut[0]).toEqual(conversation[0]);
    expect(sut[1]).toEqual(conversation[1]);
    expect(sut.at(-1)).toEqual(conversation.at(-1));
    expect(sut.length).toBeLessThan(conversation.length);
    const kept = sut.slice(2).map((m) => conversation.indexOf(m));
    // The kept tail is contiguous and ends at the last message.
    kept.forEach((index, i) => expect(index).toBe(conversation.length - kept.length + i));
  });
});

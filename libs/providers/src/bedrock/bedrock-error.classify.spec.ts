import { classifyBedrockError } from './bedrock-error.classify';

const AMZN_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

describe('classifyBedrockError', () => {
  it.each([
    [429, 'ThrottlingException', 'Too many requests, please wait before trying again.', 'rate_limited'],
    [400, 'ServiceQuotaExceededException', 'Too many tokens per day.', 'rate_limited'],
    [503, 'ServiceUnavailableException', 'Service unavailable.', 'server'],
    [429, 'ModelNotReadyException', 'Model is not ready.', 'server'],
    [500, 'InternalServerException', 'Internal server error.', 'server'],
    [424, 'ModelErrorException', 'The model returned an error.', 'server'],
    [403, 'AccessDeniedException', "You don't have access to the model with the specified model ID.", 'auth'],
    [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.', 'auth'],
    [403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.', 'auth'],
    [404, 'ResourceNotFoundException', 'Model not found.', 'not_found'],
    [408, 'ModelTimeoutException', 'Model has timed out in processing the request.', 'timeout'],
    [400, 'ValidationException', 'A conversation must start with a user message.', 'client'],
  ])('%i %s -> %s', (status, name, message, kind) => {
    const sut = classifyBedrockError(status, { message }, { 'x-amzn-errortype': `${name}${AMZN_SUFFIX}` });

    expect(sut.kind).toBe(kind);
    expect(sut.status).toBe(status);
  });

  it('reads the bare header form, `__type` and `code` in the body when the header is missing', () => {
    expect(classifyBedrockError(400, {}, { 'X-Amzn-ErrorType': 'ThrottlingException' }).kind).toBe('rate_limited');
    expect(
      classifyBedrockError(400, { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'x' }, {}).kind,
    ).toBe('auth');
    expect(classifyBedrockError(400, { code: 'ModelTimeoutException' }, {}).kind).toBe('timeout');
  });

  it.each([
    [429, 'rate_limited'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not_found'],
    [408, 'timeout'],
    [500, 'server'],
    [502, 'server'],
    [400, 'client'],
  ])('falls back to the status when no name is given: %i -> %s', (status, kind) => {
    expect(classifyBedrockError(status, null, {}).kind).toBe(kind);
  });

  it('keeps a validation error as a client error with the upstream body and a readable message', () => {
    const body = { message: 'The text field in the ContentBlock object at messages.0.content.0 is blank.' };

    const sut = classifyBedrockError(400, body, { 'x-amzn-errortype': `ValidationException${AMZN_SUFFIX}` });

    expect(sut).toEqual({
      kind: 'client',
      status: 400,
      message: 'ValidationException: The text field in the ContentBlock object at messages.0.content.0 is blank.',
      retryAfterSeconds: null,
      body,
    });
  });

  it('treats an unknown model id (a 400 on Bedrock) as not_found, so the router may fall back', () => {
    const sut = classifyBedrockError(
      400,
      { message: 'The provided model identifier is invalid.' },
      { 'x-amzn-errortype': 'ValidationException' },
    );

    expect(sut.kind).toBe('not_found');
    expect(sut.body).toBeUndefined();
  });

  it('never repeats an auth error message, which can echo the canonical request and key id', () => {
    const sut = classifyBedrockError(
      403,
      { message: 'The request signature we calculated does not match... Credential=AKIAEXAMPLE/20261121/us-east-1/bedrock' },
      { 'x-amzn-errortype': 'InvalidSignatureException' },
    );

    expect(sut.message).toBe('Bedrock rejected the credentials (InvalidSignatureException)');
  });

  it('passes Retry-After on', () => {
    expect(
      classifyBedrockError(429, { message: 'slow down' }, { 'Retry-After': '7', 'x-amzn-errortype': 'ThrottlingException' }),
    ).toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: 7,
    });
  });
});

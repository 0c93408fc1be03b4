export { startMockProvider, type MockProvider, type MockProviderOptions, type RecordedRequest } from './server.js';
export { BEHAVIOUR_HEADER, type MockBehaviour, type MockError, type MockToolCall, type MockUsage } from './behaviour.js';

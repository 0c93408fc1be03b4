export { startMockProvider, type MockProvider } from './server.js';
export { BEHAVIOUR_HEADER, type MockBehaviour } from './behaviour.js';

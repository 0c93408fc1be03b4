import { install as installUrql } from '@urql/vue';
import { createApp } from 'vue';
import App from './App.vue';
import { createConsoleRouter } from './app/router';
import { watchWidgetAccessibility } from './app/widget-accessibility';
import { createSession, SESSION_KEY } from './session/session';
import './styles.css';

const session = createSession();
const router = createConsoleRouter(session);
const app = createApp(App).provide(SESSION_KEY, session).use(installUrql, session.client).use(router);

// Mount once the first route (and so the viewer) is known, so no screen flashes the wrong layout.
void router.isReady().then(() => {
  app.mount('#app');
  watchWidgetAccessibility(document.body);
});

import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router.ts';
import { i18n, startI18n } from './i18n/index.ts';
import { applyTheme, savedTheme } from './theme.ts';
import './styles/main.css';

applyTheme(savedTheme());
const app = createApp(App);
app.use(createPinia());
app.use(i18n);
app.use(router);
// Mounted once the device's language is loaded (Japanese is a chunk of its own): no English flash.
void startI18n().then(() => app.mount('#app'));

// The service worker keeps the app shell on the device: a reload without network still opens.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => void navigator.serviceWorker.register('/sw.js').catch(() => undefined));
}

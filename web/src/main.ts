import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n'
import { setUnauthorizedHandler } from './api/client'
import './style.css'

// A 401 on any authenticated call means the session ended: back to login, keeping the page.
setUnauthorizedHandler(() => {
  const current = router.currentRoute.value
  if (current.name !== 'login') void router.push({ name: 'login', query: { redirect: current.fullPath } })
})

document.documentElement.lang = i18n.global.locale.value
createApp(App).use(router).use(i18n).mount('#app')

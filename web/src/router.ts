/**
 * Routes (history mode; the gateway serves index.html for unknown paths). Every page is
 * code-split; everything but /login requires a session token.
 */
import { createRouter, createWebHistory } from 'vue-router'
import { getToken } from './api/client'

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
    {
      path: '/',
      component: () => import('./components/AppLayout.vue'),
      children: [
        { path: '', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
        { path: 'accounts', name: 'accounts', component: () => import('./views/AccountsView.vue') },
        { path: 'chat', name: 'chat', component: () => import('./views/ChatView.vue') },
        { path: 'logs', name: 'logs', component: () => import('./views/LogsView.vue') },
        { path: 'keys', name: 'keys', component: () => import('./views/KeysView.vue') },
        { path: 'security', name: 'security', component: () => import('./views/SecurityView.vue') },
        { path: 'settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
        { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue') },
      ],
    },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !getToken()) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  return true
})

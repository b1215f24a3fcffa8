import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import type { Role } from '@lodestone/shared';
import { useSessionStore } from './stores/session.ts';
import type { MessageKey } from './i18n/index.ts';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean;
    /** Roles that may open the page; any signed-in role when absent. */
    roles?: Role[];
    /** i18n key of the page title. */
    title?: MessageKey;
  }
}

/** A `next` query parameter that is a path of this app, or null. */
export function nextOf(next: unknown): string | null {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

/** Where each role starts after sign-in. */
export function homeFor(role: Role | null): string {
  return role === 'admin' ? '/admin/users' : '/alerts';
}

const routes: RouteRecordRaw[] = [
  { path: '/sign-in', name: 'sign-in', component: () => import('./views/SignInView.vue'), meta: { public: true, title: 'signIn.title' } },
  { path: '/choose-password', name: 'choose-password', component: () => import('./views/ChoosePasswordView.vue'), meta: { title: 'choosePassword.title' } },
  { path: '/', name: 'home', redirect: () => homeFor(useSessionStore().role) },
  { path: '/alerts', name: 'alerts', component: () => import('./views/AlertFeedView.vue'), meta: { roles: ['lead', 'member', 'liaison', 'staff'], title: 'alerts.title' } },
  { path: '/incidents', name: 'incidents', component: () => import('./views/IncidentsView.vue'), meta: { roles: ['lead', 'member', 'liaison', 'staff'], title: 'incidents.title' } },
  { path: '/incidents/:id', name: 'incident', component: () => import('./views/IncidentRoomView.vue'), meta: { roles: ['lead', 'member', 'liaison', 'staff'], title: 'incidents.title' } },
  { path: '/incidents/:id/after-action', name: 'after-action', component: () => import('./views/AfterActionView.vue'), meta: { roles: ['lead', 'member', 'staff'], title: 'record.title' } },
  { path: '/actions', name: 'my-actions', component: () => import('./views/MyActionsView.vue'), meta: { roles: ['lead', 'member', 'liaison', 'staff'], title: 'actions.mine' } },
  { path: '/profile', name: 'profile', component: () => import('./views/ProfileView.vue'), meta: { title: 'profile.title' } },
  { path: '/admin', redirect: '/admin/users' },
  { path: '/admin/users', name: 'admin-users', component: () => import('./views/admin/AdminUsersView.vue'), meta: { roles: ['admin'], title: 'admin.usersTitle' } },
  { path: '/admin/audit', name: 'admin-audit', component: () => import('./views/admin/AdminAuditView.vue'), meta: { roles: ['admin'], title: 'admin.auditTitle' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { public: true, title: 'notFound.title' } },
];

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});

router.beforeEach(async (to) => {
  const session = useSessionStore();
  await session.ensureLoaded();
  if (to.name === 'sign-in' && session.signedIn) return homeFor(session.role);
  if (!to.meta.public && !session.signedIn) return { name: 'sign-in', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  // An account that must choose a new password does that first, then goes where it was going.
  const mustChoose = session.user?.mustChangePassword === true;
  if (mustChoose && !to.meta.public && to.name !== 'choose-password') return { name: 'choose-password', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  if (!mustChoose && to.name === 'choose-password') return nextOf(to.query.next) ?? homeFor(session.role);
  if (to.meta.roles && (!session.role || !to.meta.roles.includes(session.role))) return { name: 'not-found', params: { pathMatch: to.path.slice(1).split('/') } };
  return true;
});

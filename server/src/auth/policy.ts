import type { Role } from '@lodestone/shared';

export { may } from '@lodestone/shared';

/** The signed-in caller as every route and socket sees it. */
export interface AuthUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  agency: string;
  side: 'US' | 'JP';
  locale: 'en' | 'ja';
  timeZone: string;
  /** Until a new password is chosen, only the session and the password change are open to this account. */
  mustChangePassword: boolean;
}

// The login session: Log out (shown only when the server asks for a login).
// Requests refused with 401 open the login page (see api.js).

import { api, goToLogin, loginRequired } from './api.js';
import { showMessage } from './toast.js';

/** Shows Log out when a login is configured and wires it. */
export async function setupSession() {
  const button = document.getElementById('logout');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api('POST', 'api/v1/logout');
    } catch (error) {
      showMessage(error.message);
      button.disabled = false;
      return;
    }
    goToLogin();
  });
  button.hidden = !(await loginRequired());
}

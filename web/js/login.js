// Sends the login form as JSON, then opens the UI (with the query it was opened
// with, kept in `then` by the redirect to this page).
const form = document.getElementById('login');
const error = document.getElementById('error');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const data = new FormData(form);
  try {
    const res = await fetch('api/v1/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: data.get('username'), password: data.get('password') }),
    });
    if (res.ok) {
      // Back to the page, with the query it was opened with (a magnet link to add).
      const then = new URLSearchParams(window.location.search).get('then');
      window.location.href = then ? `./?${new URLSearchParams(then)}` : './';
      return;
    }
    let message = `${res.status} ${res.statusText}`;
    try {
      const json = await res.json();
      if (json && typeof json.error === 'string') message = json.error;
    } catch { /* not JSON */ }
    error.textContent = message;
  } catch {
    error.textContent = 'The server cannot be reached.';
  }
});

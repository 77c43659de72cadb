// Light, dark or follow-the-system theme, remembered in this browser.

const KEY = 'cloud-torrent.theme';

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Applies the remembered theme and wires the theme picker. */
export function setupTheme() {
  const select = document.getElementById('theme');
  const apply = (theme) => {
    const value = ['light', 'dark', 'system'].includes(theme) ? theme : 'system';
    document.documentElement.dataset.theme = value;
    select.value = value;
  };
  apply(stored());
  select.addEventListener('change', () => {
    apply(select.value);
    try {
      localStorage.setItem(KEY, select.value);
    } catch { /* private mode */ }
  });
}

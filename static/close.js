// The "Connected: you can close this window" page that Save & authorize ends on, in the window
// it opened: close that window where the browser lets a script do so (elsewhere the page says
// so in words). A file of its own because the Content-Security-Policy allows no inline script.
window.close();

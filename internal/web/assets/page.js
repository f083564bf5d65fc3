// Copy buttons: the account number onto the clipboard, in one tap.
document.querySelectorAll("button[data-copy]").forEach(function (b) {
  var label = b.textContent;
  b.addEventListener("click", function () {
    var text = b.getAttribute("data-copy");
    function done() { b.textContent = "복사됨 · Copied"; setTimeout(function () { b.textContent = label; }, 2000); }
    function fallback() {
      var t = document.createElement("textarea");
      t.value = text; t.setAttribute("readonly", ""); t.style.position = "fixed"; t.style.opacity = "0";
      document.body.appendChild(t); t.select();
      try { document.execCommand("copy"); done(); } finally { document.body.removeChild(t); }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });
});

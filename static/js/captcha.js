// Swap the CAPTCHA image and its hidden key without reloading the page, so that what was
// typed in the other fields stays. django-simple-captcha's refresh view answers only
// requests that carry X-Requested-With.
(function () {
  "use strict";
  document.querySelectorAll("[data-captcha-refresh]").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = button.closest("form");
      var image = form.querySelector("[data-captcha-image]");
      var key = form.querySelector("input[type=hidden][name$='_0']");
      var answer = form.querySelector("input[name$='captcha_1']");
      var audio = form.querySelector("[data-captcha-audio]");
      button.disabled = true;
      fetch(button.dataset.url, {
        headers: { "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) {
          if (!response.ok) { throw new Error("refresh failed: " + response.status); }
          return response.json();
        })
        .then(function (data) {
          image.src = data.image_url;
          if (key) { key.value = data.key; }
          if (audio && data.audio_url) { audio.href = data.audio_url; }
          if (answer) { answer.value = ""; answer.focus(); }
        })
        .catch(function () { /* keep the old image; the form still works */ })
        .finally(function () { button.disabled = false; });
    });
  });
})();

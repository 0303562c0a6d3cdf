// Razorpay Standard Checkout: open it with the options the server wrote on the page, and post
// what it hands back (order id, payment id, signature) to the portal, which checks the
// signature and asks Razorpay about the payment before applying anything.
(function () {
  "use strict";
  var data = document.getElementById("checkout-options");
  var form = document.getElementById("checkout-return");
  var button = document.getElementById("checkout-open");
  var status = document.getElementById("checkout-status");
  if (!data || !form || !button) return;
  if (typeof window.Razorpay !== "function") {
    status.textContent = "The payment page could not be loaded. Nothing was charged; try again later.";
    button.disabled = true;
    return;
  }
  var options = JSON.parse(data.textContent);
  options.handler = function (response) {
    form.elements.razorpay_order_id.value = response.razorpay_order_id;
    form.elements.razorpay_payment_id.value = response.razorpay_payment_id;
    form.elements.razorpay_signature.value = response.razorpay_signature;
    status.textContent = "Payment made; confirming it with Razorpay...";
    form.submit();
  };
  options.modal = {
    ondismiss: function () {
      status.textContent = "The payment page was closed. Nothing was charged unless Razorpay says otherwise.";
    },
  };
  var checkout = new window.Razorpay(options);
  checkout.on("payment.failed", function () {
    status.textContent = "The payment failed. You can try again.";
  });
  button.addEventListener("click", function () {
    checkout.open();
  });
})();

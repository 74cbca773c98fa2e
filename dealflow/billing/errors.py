"""Refusals of billing requests, and what a failed call to Stripe means for the user."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from dealflow.billing import gateway
from dealflow.billing.plans import billing_enabled
from dealflow.models import Role, User


class BillingError(Exception):
    """A billing request was refused; message is shown to the user.

    keep: what was done before the refusal is to be committed all the same (Stripe acted on it: the card
    became the customer's default, a subscribe attempt was answered).
    """

    def __init__(self, message: LazyString | str, *, keep: bool = False) -> None:
        super().__init__(str(message))
        self.message = message
        self.keep = keep


class BillingOff(BillingError):
    """No STRIPE_SECRET_KEY: nothing can be bought."""


class BillingUnavailable(BillingError):
    """Stripe did not answer: nothing was charged or changed, the user may try again."""


class PaymentDeclined(BillingError):
    """The card was refused."""


def stripe_call_failed(exc: gateway.GatewayError) -> BillingError:
    if isinstance(exc, gateway.StripeUnavailable):
        return BillingUnavailable(
            _l(
                "Our payment provider is not answering right now. "
                "Nothing was charged; please try again in a few minutes."
            )
        )
    if isinstance(exc, gateway.CardRefused):
        return PaymentDeclined(_l("Your card was declined: %(reason)s", reason=exc.message))
    return BillingError(_l("The payment provider refused the request. Nothing was charged; please contact us."))


def require_billing(user: User) -> None:
    if not billing_enabled():
        raise BillingOff(_l("Billing is not set up on this server: everyone is on the Free plan."))
    if user.role != Role.INVESTOR:
        raise BillingError(_l("Only investors subscribe to a plan."))

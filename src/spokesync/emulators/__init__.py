"""Local emulators of the Auth0 and Okta Management APIs (a product feature of their own)."""

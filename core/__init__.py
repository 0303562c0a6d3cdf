"""The ground floor: code every app may use and that knows nothing of the domain."""

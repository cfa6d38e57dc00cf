from tests.http.scripted import anyio_backend, stamina_testing

__all__ = ["anyio_backend", "stamina_testing"]

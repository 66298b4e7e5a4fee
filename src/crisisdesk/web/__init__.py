"""The web app: server-rendered pages in German and English on the same services as the JSON API."""

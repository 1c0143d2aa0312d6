"""The Indonesian gazetteer, geocoding of customers, sales territories and the map."""

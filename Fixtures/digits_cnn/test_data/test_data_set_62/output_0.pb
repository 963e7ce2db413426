
BlogitsJ(Œ6J¡F.n¡j&V¡Vö AeÑ.¡XÔ¿<!¡˛¡ÓÈ¯¿\l≈¿
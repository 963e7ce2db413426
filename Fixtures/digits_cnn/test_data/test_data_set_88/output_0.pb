
BlogitsJ(¥ÜA¡å‹@fï$¡fTı¿ò+ÿ¿WQ	¡Í`¡TCc¡@xyæ$;∆¿
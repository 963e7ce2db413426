
BlogitsJ(!]¡p≤x¡ﬂ<,¡Õπ·¿˙‹W¡Lmí¿G:ò¡OC¡íÈÓ¿@èUA

BlogitsJ(žX]ÁB»ìÀexÃÁaÁvomAþtºÀâQÁd©À¢¢+Á I¾À
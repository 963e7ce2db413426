
BlogitsJ(.S‘ÀÖ[cÁä}ŠÁÛIÁ*bÁWIÇ¿ó©UAa‡^ÁE‚¿;ý§Á

BlogitsJ(weÀ‘rKÁ$ÀRÁèÀPÀ£ğòÀx*Aë.ÁVj¯¿2aÁ
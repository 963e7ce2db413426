
BlogitsJ(XàIÁy[DÁW¤ÀA-ŽÀ ôßÀb„YÁø¹ˆÁFm?AÕ.ÁdÆBÁ
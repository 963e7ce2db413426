
BlogitsJ(¡ÀBÈYÁ¢úsÁçR—À f$Á`GÀmáSÁév*ÁŸ‚–ÀHÍA